"""Export a run or .keras file to SavedModel, TFLite and ONNX.

examples:
  keras-ar export demo_output/digits_nade.keras --out exported/ --quantize float16 int8
  keras-ar export runs/nade --out exported/nade --formats tflite --overwrite
"""

from keras_ar.cli import common

FORMATS = ("saved_model", "tflite", "onnx")

NAME = "export"
RUN, OUT = "one", "export folder (written atomically)"


def add_arguments(parser):
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS,
                        metavar="FORMAT", help=f"any of {list(FORMATS)} (default: all)")
    parser.add_argument("--quantize", nargs="*", default=[], metavar="KIND",
                        help="extra TFLite files: float16 and/or int8")
    parser.add_argument("--batch-size", type=int, default=1, help="static batch of signatures")
    parser.add_argument("--sequence-length", type=int, default=64,
                        help="log_prob length of sequence models")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    common.add_json_argument(parser, "the export report")
    common.add_verbosity_arguments(parser, quiet=False)


def run(args):
    from keras_ar.export import export_model, format_report
    from keras_ar.training.runs import load_run

    model, _ = load_run(args.model)
    report = export_model(model, args.out, formats=args.formats, quantize=args.quantize,
                          batch_size=args.batch_size, overwrite=args.overwrite,
                          sequence_length=args.sequence_length)
    print(format_report(report))
    common.write_json(args.json, report)
