package androidx.lifecycle;

import androidx.annotation.NonNull;

/** Compile-only stub of androidx.lifecycle.LifecycleOwner (Kotlin `val lifecycle: Lifecycle`). */
public interface LifecycleOwner {
    @NonNull
    Lifecycle getLifecycle();
}
