from keras_ar.layers.masked_dense import MaskedDense
from keras_ar.layers.masks import create_degrees, create_masks, strictly_lower_mask

__all__ = ["MaskedDense", "create_degrees", "create_masks", "strictly_lower_mask"]
