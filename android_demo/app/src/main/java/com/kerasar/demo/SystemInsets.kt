package com.kerasar.demo

import android.view.View
import androidx.activity.ComponentActivity
import androidx.activity.enableEdgeToEdge
import androidx.core.view.ViewCompat
import androidx.core.view.WindowInsetsCompat

/**
 * Draws the activity edge to edge on every API level (targetSdk 35 forces it from Android 15
 * on) and pads [root] by the system bars, the display cutout and the keyboard, on top of its
 * own padding: no control sits under the navigation bar, and the keyboard never covers the
 * prompt (adjustResize alone does not resize an edge-to-edge window). Call after setContentView.
 */
fun ComponentActivity.fitSystemInsets(root: View) {
    enableEdgeToEdge()
    val left = root.paddingLeft
    val top = root.paddingTop
    val right = root.paddingRight
    val bottom = root.paddingBottom
    val types = WindowInsetsCompat.Type.systemBars() or
        WindowInsetsCompat.Type.displayCutout() or
        WindowInsetsCompat.Type.ime()
    ViewCompat.setOnApplyWindowInsetsListener(root) { view, insets ->
        val bars = insets.getInsets(types)
        view.setPadding(left + bars.left, top + bars.top, right + bars.right, bottom + bars.bottom)
        WindowInsetsCompat.CONSUMED
    }
}
