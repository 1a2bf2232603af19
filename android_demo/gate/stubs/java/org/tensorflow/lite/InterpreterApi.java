package org.tensorflow.lite;

/** Compile-only stub of LiteRT 1.4.1 org.tensorflow.lite.InterpreterApi (the members the app calls). */
public interface InterpreterApi extends AutoCloseable {
    /** Release resources associated with the interpreter. */
    @Override
    void close();

    /** Options for the interpreter. */
    class Options {
        public Options() { throw new UnsupportedOperationException("stub"); }

        public Options setNumThreads(int numThreads) { throw new UnsupportedOperationException("stub"); }
    }
}
