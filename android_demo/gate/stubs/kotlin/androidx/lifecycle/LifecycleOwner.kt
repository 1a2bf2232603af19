@file:JvmName("LifecycleOwnerKt")

package androidx.lifecycle

/** Compile-only stub of lifecycle-runtime-ktx's `LifecycleOwner.lifecycleScope`. */
val LifecycleOwner.lifecycleScope: LifecycleCoroutineScope
    get() = throw UnsupportedOperationException("stub")
