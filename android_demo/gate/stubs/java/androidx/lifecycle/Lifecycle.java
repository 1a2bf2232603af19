package androidx.lifecycle;

/** Compile-only stub of androidx.lifecycle.Lifecycle (an abstract class in lifecycle 2.8). */
public abstract class Lifecycle {
    public Lifecycle() {}
}
