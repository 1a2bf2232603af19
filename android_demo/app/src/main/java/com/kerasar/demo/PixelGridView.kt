package com.kerasar.demo

import android.annotation.SuppressLint
import android.content.Context
import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Paint
import android.graphics.Rect
import android.util.AttributeSet
import android.view.MotionEvent
import android.view.View
import com.kerasar.demo.core.PixelArt
import com.kerasar.demo.core.TopHalfDrawing

/**
 * Shows a small ARGB image scaled up without smoothing, and lets the user draw ink on its
 * top half ([drawing], for "complete the top half") when [drawingEnabled]. Before
 * [setImageSize] the image is empty and every edit is a no-op.
 */
class PixelGridView @JvmOverloads constructor(
    context: Context,
    attrs: AttributeSet? = null
) : View(context, attrs) {
    private var bitmap: Bitmap? = null
    private val paint = Paint().apply { isFilterBitmap = false }
    private val destination = Rect()

    var imageWidth = 0
        private set
    var imageHeight = 0
        private set

    /** Ink drawn by the user; empty until [setImageSize]. */
    val drawing = TopHalfDrawing()

    var drawingEnabled = false
    var onDrawingChanged: (() -> Unit)? = null

    fun setImageSize(width: Int, height: Int) {
        imageWidth = width
        imageHeight = height
        drawing.resize(width, height)
        bitmap = Bitmap.createBitmap(width, height, Bitmap.Config.ARGB_8888).apply { eraseColor(PixelArt.UNFILLED) }
        invalidate()
    }

    /** Replaces the image with [argb] (one int per pixel); call on the main thread. */
    fun setPixels(argb: IntArray) {
        bitmap?.setPixels(argb, 0, imageWidth, 0, 0, imageWidth, imageHeight)
        invalidate()
    }

    /** Replaces the drawing by a preset such as [com.kerasar.demo.core.Presets.zeroTopHalf]; no-op while empty. */
    fun applyPreset(preset: (Int, Int) -> FloatArray) {
        if (drawing.applyPreset(preset)) onDrawingChanged?.invoke()
    }

    fun clearDrawing() {
        if (drawing.clear()) onDrawingChanged?.invoke()
    }

    /** A square as wide as allowed, but at most 60% of the screen height (landscape). */
    override fun onMeasure(widthMeasureSpec: Int, heightMeasureSpec: Int) {
        val side = minOf(MeasureSpec.getSize(widthMeasureSpec), resources.displayMetrics.heightPixels * 3 / 5)
        setMeasuredDimension(side, side)
    }

    override fun onDraw(canvas: Canvas) {
        val image = bitmap ?: return
        destination.set(0, 0, width, height)
        canvas.drawBitmap(image, null, destination, paint)
    }

    @SuppressLint("ClickableViewAccessibility")
    override fun onTouchEvent(event: MotionEvent): Boolean {
        if (!drawingEnabled || drawing.isEmpty || width == 0 || height == 0) return false
        when (event.actionMasked) {
            MotionEvent.ACTION_DOWN, MotionEvent.ACTION_MOVE -> {
                parent?.requestDisallowInterceptTouchEvent(true) // a stroke, not a scroll
                var inked = false
                for (h in 0 until event.historySize) {
                    inked = drawing.inkAt(event.getHistoricalX(h) / width, event.getHistoricalY(h) / height) || inked
                }
                inked = drawing.inkAt(event.x / width, event.y / height) || inked
                if (inked) onDrawingChanged?.invoke()
                return true
            }
        }
        return true
    }
}
