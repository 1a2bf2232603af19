package com.kerasar.demo

import kotlinx.coroutines.Job

/**
 * Closes [model] once [job] (a generation loop that may be inside an interpreter call on a
 * background thread) has finished, so the interpreter is never closed under a running step.
 */
fun closeAfter(job: Job?, model: LoadedModel?) {
    if (model == null) return
    if (job == null) model.close() else job.invokeOnCompletion { model.close() }
}
