"""The older baseline: NADE's per-pixel loop in eager TensorFlow (GradientTape, Keras
Adam). Kept as a labelled extra column; the torch loop is the peer users run."""

import keras
import tensorflow as tf


class TFEagerLoopNADE:
    def __init__(self, n, d, activation="sigmoid"):
        self.n, self.d = n, d
        self.act = keras.activations.get(activation)
        self.W = tf.Variable(tf.random.normal((n, d)) * 0.01)
        self.c = tf.Variable(tf.zeros((d,)))
        self.V = tf.Variable(tf.random.normal((n, d)) * 0.01)
        self.b = tf.Variable(tf.zeros((n,)))
        self.variables = [self.W, self.c, self.V, self.b]
        self.optimizer = keras.optimizers.Adam(1e-3)

    def log_prob(self, x):
        a = tf.zeros((tf.shape(x)[0], self.d)) + self.c
        total = 0.0
        for i in range(self.n):
            logit = tf.linalg.matvec(self.act(a), self.V[i]) + self.b[i]
            total += -tf.nn.sigmoid_cross_entropy_with_logits(labels=x[:, i], logits=logit)
            a = a + x[:, i : i + 1] * self.W[i]
        return total

    def train_step(self, x):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(self.log_prob(x))
        self.optimizer.apply_gradients(zip(tape.gradient(loss, self.variables), self.variables))
        return loss

    def sample(self, count, seed=0):
        generator = tf.random.Generator.from_seed(seed)
        a = tf.zeros((count, self.d)) + self.c
        columns = []
        for i in range(self.n):
            p = tf.sigmoid(tf.linalg.matvec(self.act(a), self.V[i]) + self.b[i])
            xi = tf.cast(generator.uniform((count,)) < p, tf.float32)
            columns.append(xi)
            a = a + xi[:, None] * self.W[i]
        return tf.stack(columns, axis=1)
