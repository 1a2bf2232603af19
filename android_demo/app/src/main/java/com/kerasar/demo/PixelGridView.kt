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

/**
 * Shows a small ARGB image scaled up without smoothing, and lets the user draw ink on the
 * rows below [drawableRows] (the top half, for "complete the top half") when [drawingEnabled].
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

    /** Ink drawn by the user (1 = ink), raster order. */
    var drawing = FloatArray(0)
        private set

    var drawableRows = 0
    var drawingEnabled = false
    var onDrawingChanged: (() -> Unit)? = null

    fun setImageSize(width: Int, height: Int) {
        imageWidth = width
        imageHeight = height
        drawing = FloatArray(width * height)
        bitmap = Bitmap.createBitmap(width, height, Bitmap.Config.ARGB_8888).apply { eraseColor(PixelArt.UNFILLED) }
        invalidate()
    }

    /** Replaces the image with [argb] (one int per pixel); call on the main thread. */
    fun setPixels(argb: IntArray) {
        bitmap?.setPixels(argb, 0, imageWidth, 0, 0, imageWidth, imageHeight)
        invalidate()
    }

    fun setDrawing(values: FloatArray) {
        require(values.size == drawing.size)
        values.copyInto(drawing)
        onDrawingChanged?.invoke()
    }

    override fun onMeasure(widthMeasureSpec: Int, heightMeasureSpec: Int) {
        val side = MeasureSpec.getSize(widthMeasureSpec)
        setMeasuredDimension(side, side)
    }

    override fun onDraw(canvas: Canvas) {
        val image = bitmap ?: return
        destination.set(0, 0, width, height)
        canvas.drawBitmap(image, null, destination, paint)
    }

    @SuppressLint("ClickableViewAccessibility")
    override fun onTouchEvent(event: MotionEvent): Boolean {
        if (!drawingEnabled || imageWidth == 0) return false
        when (event.actionMasked) {
            MotionEvent.ACTION_DOWN, MotionEvent.ACTION_MOVE -> {
                for (h in 0 until event.historySize) ink(event.getHistoricalX(h), event.getHistoricalY(h))
                ink(event.x, event.y)
                onDrawingChanged?.invoke()
                return true
            }
        }
        return true
    }

    /**
     * A square brush of about 1/14 of the image width: 2x2 at 28x28 (the stroke width of an
     * MNIST digit), 1x1 on the 8x8 digits.
     */
    private fun ink(x: Float, y: Float) {
        val brush = maxOf(1, imageWidth / 14)
        val col = (x / width * imageWidth).toInt()
        val row = (y / height * imageHeight).toInt()
        for (r in row until row + brush) for (c in col until col + brush) {
            if (r in 0 until minOf(drawableRows, imageHeight) && c in 0 until imageWidth) {
                drawing[r * imageWidth + c] = 1f
            }
        }
    }
}
