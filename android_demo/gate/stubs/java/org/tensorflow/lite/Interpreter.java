package org.tensorflow.lite;

import java.nio.ByteBuffer;
import java.util.Map;

/** Compile-only stub of LiteRT 1.4.1 org.tensorflow.lite.Interpreter (the members the app calls). */
public final class Interpreter extends InterpreterImpl implements InterpreterApi {
    /** An options class for controlling runtime interpreter behavior. */
    public static class Options extends InterpreterImpl.Options {
        public Options() { throw new UnsupportedOperationException("stub"); }

        @Override
        public Options setNumThreads(int numThreads) { throw new UnsupportedOperationException("stub"); }
    }

    public Interpreter(ByteBuffer byteBuffer, Options options) { throw new UnsupportedOperationException("stub"); }

    public void runSignature(Map<String, Object> inputs, Map<String, Object> outputs, String signatureKey) {
        throw new UnsupportedOperationException("stub");
    }

    public String[] getSignatureKeys() { throw new UnsupportedOperationException("stub"); }

    public String[] getSignatureInputs(String signatureKey) { throw new UnsupportedOperationException("stub"); }

    public String[] getSignatureOutputs(String signatureKey) { throw new UnsupportedOperationException("stub"); }
}
