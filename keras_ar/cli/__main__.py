import sys

from keras_ar.cli import main

sys.exit(main())
