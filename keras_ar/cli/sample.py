"""A PNG grid of images, or text, from a trained run.

examples:
  keras-ar sample runs/nade --out samples.png --num-samples 64
  keras-ar sample runs/shakespeare --out text.txt --prompt ROMEO: --temperature 0.8
"""

from keras_ar.cli import common

NAME = "sample"
RUN, OUT = "one", ".png for images, .txt for text"


def add_arguments(parser):
    parser.add_argument("--num-samples", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--length", type=int, default=200, help="max characters (CharRNN)")
    parser.add_argument("--prompt", default="", help="text to continue (CharRNN)")
    parser.add_argument("--columns", type=int, default=8, help="images per row")
    common.add_verbosity_arguments(parser, quiet=False)


def run(args):
    from keras_ar.training import sample

    path = sample(args.model, args.out, num_samples=args.num_samples, seed=args.seed,
                  temperature=args.temperature, length=args.length, prompt=args.prompt,
                  columns=args.columns)
    print(f"samples: {path}")
