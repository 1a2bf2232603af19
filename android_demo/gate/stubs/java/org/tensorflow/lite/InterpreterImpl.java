package org.tensorflow.lite;

/** Compile-only stub of LiteRT 1.4.1's package-private base class of Interpreter. */
class InterpreterImpl implements InterpreterApi {
    InterpreterImpl() { throw new UnsupportedOperationException("stub"); }

    @Override
    public void close() { throw new UnsupportedOperationException("stub"); }

    static class Options extends InterpreterApi.Options {
        public Options() { throw new UnsupportedOperationException("stub"); }
    }
}
