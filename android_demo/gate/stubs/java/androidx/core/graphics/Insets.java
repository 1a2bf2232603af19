package androidx.core.graphics;

/** Compile-only stub of androidx.core.graphics.Insets. */
public final class Insets {
    public final int left;
    public final int top;
    public final int right;
    public final int bottom;

    private Insets() { throw new UnsupportedOperationException("stub"); }
}
