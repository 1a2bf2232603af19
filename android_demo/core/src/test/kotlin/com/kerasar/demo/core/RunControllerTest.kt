package com.kerasar.demo.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.joinAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.Closeable
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.atomic.AtomicInteger

/**
 * A step model standing in for a non-thread-safe interpreter: it records how many threads
 * are inside it at once, can hold a step until released (a blocking native call that
 * cancellation cannot interrupt), can fail, and records calls after close.
 */
class GuardedModel(private val inner: StepModel) : StepModel, Closeable {
    val active = AtomicInteger()
    val maxActive = AtomicInteger()
    val closeCount = AtomicInteger()
    val callsAfterClose = AtomicInteger()
    @Volatile var closedWhileActive = false
    @Volatile var hold: CountDownLatch? = null
    @Volatile var failure: RuntimeException? = null

    val closed: Boolean get() = closeCount.get() > 0

    override fun initialState(bindings: StepBindings) = guarded { inner.initialState(bindings) }

    override fun step(bindings: StepBindings) = guarded {
        hold?.await()
        failure?.let { throw it }
        inner.step(bindings)
    }

    private fun guarded(call: () -> Unit) {
        if (closed) callsAfterClose.incrementAndGet()
        val now = active.incrementAndGet()
        maxActive.accumulateAndGet(now) { a, b -> maxOf(a, b) }
        try {
            call()
        } finally {
            active.decrementAndGet()
        }
    }

    override fun close() {
        if (active.get() > 0) closedWhileActive = true
        closeCount.incrementAndGet()
    }
}

class RunControllerTest {
    private val manifest = TestManifests.image(8, 8)

    private fun newModel(): GuardedModel {
        val model = GuardedModel(FakeImageModel { 0.5f })
        model.maxActive.set(0)
        return model
    }

    /** One sample on Dispatchers.Default, checking for cancellation between steps, as the app does. */
    private suspend fun sample(session: StepSession) = withContext(Dispatchers.Default) {
        val run = ImageSampleRun(session, SeededUniforms(1))
        while (!run.isDone) {
            ensureActive()
            run.stepOnce()
        }
    }

    private suspend fun untilInsideAStep(model: GuardedModel) = withTimeout(10_000) {
        while (model.active.get() == 0) delay(1)
    }

    @Test
    fun aThirdTapWhileTheFirstJobIsInsideAStepNeverRunsTwoJobsAtOnce() = runBlocking {
        val model = newModel()
        val session = StepSession(model, manifest)
        val controller = RunController<GuardedModel>()
        assertTrue(controller.install(model))
        val started = Collections.synchronizedList(ArrayList<Int>())
        val finished = Collections.synchronizedList(ArrayList<Int>())
        val errors = Collections.synchronizedList(ArrayList<Exception>())
        fun tap(id: Int): Job = controller.launch(this, { errors.add(it) }) {
            started.add(id)
            sample(session)
            finished.add(id)
        }!!

        val release = CountDownLatch(1)
        model.hold = release
        val first = tap(1)
        untilInsideAStep(model)
        model.hold = null
        val second = tap(2)
        val third = tap(3)
        delay(100) // gives the second and third job every chance to start too early
        assertEquals(listOf(1), started)
        release.countDown()
        joinAll(first, second, third)

        assertEquals(1, model.maxActive.get())
        assertEquals(listOf(1, 3), started) // the second was cancelled while waiting: never ran
        assertEquals(listOf(3), finished)
        assertTrue(first.isCancelled && second.isCancelled && !third.isCancelled)
        assertEquals(emptyList<Exception>(), errors)
    }

    /** The harness sees the bug: with `previous?.cancelAndJoin()` the third tap overlaps the first. */
    @Test
    fun cancelAndJoinChainsLetTwoJobsStepTogether() = runBlocking {
        val model = newModel()
        val session = StepSession(model, manifest)
        var job: Job? = null
        fun tap() {
            val previous = job
            job = launch {
                previous?.cancelAndJoin()
                sample(session)
            }
        }
        val release = CountDownLatch(1)
        model.hold = release
        tap()
        val first = job!!
        untilInsideAStep(model)
        model.hold = null
        tap()
        tap()
        job!!.join() // the third job ran to the end while the first was still inside its step
        release.countDown()
        first.join()
        assertEquals(2, model.maxActive.get())
    }

    @Test
    fun closeWhileAStepRunsClosesTheModelOnlyAfterTheStepReturns() = runBlocking {
        val model = newModel()
        val session = StepSession(model, manifest)
        val controller = RunController<GuardedModel>()
        controller.install(model)
        val release = CountDownLatch(1)
        model.hold = release
        val job = controller.launch(this, { throw AssertionError(it) }) { sample(session) }!!
        untilInsideAStep(model)
        controller.close()
        assertFalse(model.closed)
        assertNull(controller.launch(this, { throw AssertionError(it) }) { sample(session) })
        release.countDown()
        job.join()
        assertTrue(job.isCancelled)
        assertEquals(1, model.closeCount.get())
        assertFalse(model.closedWhileActive)
        assertEquals(0, model.callsAfterClose.get())
        controller.close()
        assertEquals(1, model.closeCount.get())
    }

    @Test
    fun closeWithoutARunningJobClosesAtOnce() {
        val model = newModel()
        val controller = RunController<GuardedModel>()
        controller.install(model)
        controller.close()
        assertTrue(model.closed)
        assertNull(controller.current)
    }

    @Test
    fun aModelThatFinishesLoadingAfterCloseIsClosed() = runBlocking {
        val model = newModel()
        val controller = RunController<GuardedModel>()
        val loading = CountDownLatch(1)
        val inLoad = CountDownLatch(1)
        val screen = launch {
            // As the app loads: the install happens inside the IO block, which runs to its end
            // even when the screen's scope is cancelled meanwhile.
            withContext(Dispatchers.IO) {
                inLoad.countDown()
                loading.await()
                controller.install(model)
            }
        }
        withTimeout(10_000) { while (inLoad.count > 0) delay(1) }
        screen.cancel() // the Activity is destroyed while the model loads
        controller.close()
        loading.countDown()
        screen.join()
        assertTrue(model.closed)
        assertFalse(controller.install(newModel().also { assertFalse(it.closed) }))
    }

    @Test
    fun anInterpreterErrorGoesToOnErrorAndTheScopeLivesOn() = runBlocking {
        val model = newModel()
        val session = StepSession(model, manifest)
        val controller = RunController<GuardedModel>()
        controller.install(model)
        val errors = Collections.synchronizedList(ArrayList<Exception>())
        model.failure = IllegalArgumentException("Internal error: Failed to run on the given Interpreter")
        controller.launch(this, { errors.add(it) }) { sample(session) }!!.join()
        assertEquals(1, errors.size)
        assertTrue(errors[0] is IllegalArgumentException)
        model.failure = null
        var done = false
        controller.launch(this, { errors.add(it) }) { sample(session); done = true }!!.join()
        assertTrue(done)
        assertEquals(1, errors.size)
    }

    @Test
    fun launchWithoutAModelDoesNothing() = runBlocking {
        val controller = RunController<GuardedModel>()
        assertNull(controller.launch(this as CoroutineScope, { throw AssertionError(it) }) { throw AssertionError("ran") })
    }
}
