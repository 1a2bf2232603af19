"""NADE's sigmoid hidden units along a block of positions, with E = exp(-a) carried as a
product: h_k = 1 / (1 + E_k), E_{k+1} = E_k (1 + x_k (exp(-W_k) - 1)) for binary x_k, one
multiply per unit and position instead of an exp (used by `NADE.log_prob` and sampling
when every |a| of the block provably stays <= 80); and `walk`, the loop over a block's
positions that the product form and the plain one share."""

from keras import ops

# sigmoid blocks of `log_prob`: positions per block, and the largest |a| for which
# exp(-a) is carried as a product (exp(80) = 5.5e34 stays a normal float32)
PRODUCT_BLOCK = 16
PRODUCT_BOUND = 80.0
PRODUCT_MIN_UNITS = 64


def products_stay_finite(start, window):
    """Whether every |a| of a window provably stays <= 80 from the preactivations at
    its start `(batch, d)` and its input weights `(K, d)`: |a| + sum_k |W_k| per unit."""
    return ops.max(ops.abs(start) + ops.sum(ops.abs(window), axis=0)) <= PRODUCT_BOUND


def as_products(start, input_rows):
    """The carried state, h and its update of a block with E = exp(-a) as a product:
    h_k = 1 / (1 + E_k),  E_{k+1} = E_k (1 + x_k (exp(-W_k) - 1))  (x_k in {0, 1})."""
    factors = ops.exp(-input_rows) - 1.0  # (K, d)
    return (ops.exp(-start), lambda e: 1.0 / (1.0 + e),
            lambda e, x, k: e * (1.0 + x * ops.take(factors, k, axis=0)))


def walk(size, carried, hidden_of, advance, visit, record_dtype):
    """K positions in a loop: h_k = hidden_of(c_k); (r_k, x_k) = visit(k, h_k);
    c_{k+1} = advance(c_k, x_k, k). Returns the r_k, `(K, batch)`. A loop, not K
    positions written out: XLA fused the chain of products into every later position
    and recomputed it there (1.4x slower on JAX). `log_prob` visits the data, sampling
    its draws; both carry only what the hidden units need (E, or a itself)."""
    def body(k, loop):
        carried, records = loop
        record, x = visit(k, hidden_of(carried))
        records = ops.slice_update(records, [k, 0], ops.expand_dims(record, 0))
        x = ops.expand_dims(ops.cast(x, carried.dtype), -1)  # (batch, 1)
        return advance(carried, x, k), records

    records = ops.zeros((size, ops.shape(carried)[0]), record_dtype)
    return ops.fori_loop(0, size, body, (carried, records))[1]
