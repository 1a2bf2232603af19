package com.kerasar.demo

import android.content.Intent
import android.os.Bundle
import android.widget.Button
import androidx.appcompat.app.AppCompatActivity

/** Entry screen: pick the digits (NADE) or the text (CharRNN) demo. */
class MainActivity : AppCompatActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        fitSystemInsets(findViewById(R.id.main_root))
        findViewById<Button>(R.id.button_digits).setOnClickListener {
            startActivity(Intent(this, DigitsActivity::class.java))
        }
        findViewById<Button>(R.id.button_text).setOnClickListener {
            startActivity(Intent(this, TextActivity::class.java))
        }
    }
}
