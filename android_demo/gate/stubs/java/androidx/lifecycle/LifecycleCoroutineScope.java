package androidx.lifecycle;

import kotlinx.coroutines.CoroutineScope;

/** Compile-only stub of androidx.lifecycle.LifecycleCoroutineScope: a CoroutineScope tied to a Lifecycle. */
public abstract class LifecycleCoroutineScope implements CoroutineScope {
    LifecycleCoroutineScope() {}
}
