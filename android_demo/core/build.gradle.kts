// Pure Kotlin/JVM: manifest parsing, the step loop and sampling. No Android imports, so it
// also builds and tests on a plain JVM (see ../run_host_tests.sh for the Gradle-free run).
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("org.jetbrains.kotlin.jvm")
}

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // RunController: Mutex and Job (the app adds kotlinx-coroutines-android on top).
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")
    testImplementation("junit:junit:4.13.2")
}
