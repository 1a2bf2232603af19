@file:JvmName("EdgeToEdge")

package androidx.activity

/** Compile-only stub of androidx.activity's `ComponentActivity.enableEdgeToEdge` (activity 1.8). */
@JvmName("enable")
@JvmOverloads
fun ComponentActivity.enableEdgeToEdge(
    statusBarStyle: SystemBarStyle = SystemBarStyle.auto(0, 0),
    navigationBarStyle: SystemBarStyle = SystemBarStyle.auto(0, 0)
): Unit = throw UnsupportedOperationException("stub")

/** Compile-only stub of androidx.activity.SystemBarStyle. */
class SystemBarStyle private constructor() {
    companion object {
        @JvmStatic
        fun auto(lightScrim: Int, darkScrim: Int): SystemBarStyle = throw UnsupportedOperationException("stub")
    }
}
