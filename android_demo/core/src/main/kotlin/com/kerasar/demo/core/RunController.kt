package com.kerasar.demo.core

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import java.io.Closeable
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.EmptyCoroutineContext

/**
 * Owns one screen's model (a [StepSession] over a non-thread-safe interpreter) and runs the
 * jobs that use it strictly one at a time:
 *
 * - [launch] cancels the previous job, then waits until no job is left inside its block
 *   (a cancelled job may still be inside a blocking interpreter call). A job cancelled while
 *   it waits never runs. So however fast the user taps, at most one coroutine drives the
 *   session; `previous.cancelAndJoin()` gives no such guarantee, because the join itself is
 *   cancelled by the next tap.
 * - [close] cancels the current job and closes the model as soon as no job is using it
 *   (at once if none is). A model installed after [close] (a load that finished after the
 *   screen was destroyed) is closed instead of kept.
 * - An exception thrown by a job goes to its `onError` (a message on screen), never to the
 *   scope, where it would crash the app.
 */
class RunController<T : Closeable> {
    private val lock = Any()
    private val mutex = Mutex()
    private var model: T? = null
    private var closed = false
    private var inUse = false
    private var latest: Job? = null

    /** The installed model, or null before [install] and after [close]. */
    val current: T?
        get() = synchronized(lock) { if (closed) null else model }

    val isClosed: Boolean
        get() = synchronized(lock) { closed }

    /**
     * Hands over a freshly loaded model. Returns false, after closing [loaded], when the
     * controller is already closed. Call it where the load ran (e.g. inside
     * `withContext(Dispatchers.IO) { ... }`), so a cancellation between the load and this call
     * cannot drop the model unclosed.
     */
    fun install(loaded: T): Boolean {
        synchronized(lock) {
            if (!closed) {
                check(model == null) { "a model is already installed" }
                model = loaded
                return true
            }
        }
        loaded.close()
        return false
    }

    /**
     * Starts [block] on the model in [scope] (with [context] added) after cancelling the
     * previous job; it runs once no other job is inside its block. Returns null when no model
     * is installed or the controller is closed. An exception from [block] other than
     * cancellation is passed to [onError] (in the job's context), unless the job was
     * cancelled meanwhile.
     */
    fun launch(
        scope: CoroutineScope,
        onError: (Exception) -> Unit,
        context: CoroutineContext = EmptyCoroutineContext,
        block: suspend CoroutineScope.(T) -> Unit
    ): Job? {
        val job = scope.launch(context, CoroutineStart.LAZY) {
            mutex.withLock {
                if (!isActive) return@withLock
                val model = acquire() ?: return@withLock
                try {
                    block(model)
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Exception) {
                    if (isActive) onError(e)
                } finally {
                    release()
                }
            }
        }
        val previous: Job?
        synchronized(lock) {
            if (closed || model == null) {
                job.cancel()
                return null
            }
            previous = latest
            latest = job
        }
        previous?.cancel()
        job.start()
        return job
    }

    /** Cancels the running job and closes the model once no job uses it. Idempotent. */
    fun close() {
        val running: Job?
        var toClose: T? = null
        synchronized(lock) {
            if (closed) return
            closed = true
            running = latest
            latest = null
            if (!inUse) {
                toClose = model
                model = null
            }
        }
        running?.cancel()
        toClose?.close()
    }

    private fun acquire(): T? = synchronized(lock) {
        val installed = model
        if (closed || installed == null) return null
        inUse = true
        installed
    }

    private fun release() {
        var toClose: T? = null
        synchronized(lock) {
            inUse = false
            if (closed) {
                toClose = model
                model = null
            }
        }
        toClose?.close()
    }
}
