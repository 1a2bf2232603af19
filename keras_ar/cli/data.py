"""List data sets and where they are found; download one.

examples:
  keras-ar data list
  keras-ar data get binarized_mnist
  keras-ar data get tiny_shakespeare --data-dir ~/data
"""

from keras_ar.cli import common

NAME = "data"


def add_arguments(parser):
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every data set, its file and where it is found")
    get = actions.add_parser("get", help="download with tensorflow-datasets into the cache")
    get.add_argument("name")
    get.add_argument("--data-dir", help="write here instead of the cache")
    common.add_verbosity_arguments(parser, quiet=False)


def run(args):
    from keras_ar import datasets
    from keras_ar.datasets import paths

    if args.action == "get":
        print(f"{args.name}: {datasets.download(args.name, data_dir=args.data_dir)}")
        return
    print("searched: " + ", ".join(str(d) for d in paths.default_data_dirs()))
    for name in datasets.list_datasets():
        spec = datasets.dataset_spec(name)
        if spec.file is None:
            print(f"  {name}: embedded in keras-ar")
            continue
        found, _ = paths.find_file(spec.file)
        get = f"keras-ar data get {name}" if spec.source else f"put {spec.file} there"
        print(f"  {name}: {found or f'{spec.file} missing ({get})'}")
