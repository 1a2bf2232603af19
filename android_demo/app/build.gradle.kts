import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "com.kerasar.demo"
    compileSdk = 35

    defaultConfig {
        applicationId = "com.kerasar.demo"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    // model.tflite is memory-mapped straight from the APK, which needs it stored uncompressed.
    androidResources {
        noCompress.add("tflite")
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(project(":core"))
    // LiteRT (formerly TensorFlow Lite): org.tensorflow.lite.Interpreter with runSignature.
    implementation("com.google.ai.edge.litert:litert:1.4.1")
    implementation("androidx.appcompat:appcompat:1.7.0")
    // enableEdgeToEdge (activity >= 1.8); named here rather than relied on through appcompat.
    implementation("androidx.activity:activity:1.9.3")
    implementation("androidx.lifecycle:lifecycle-runtime-ktx:2.8.7")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
}
