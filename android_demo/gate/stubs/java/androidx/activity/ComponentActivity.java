package androidx.activity;

import android.os.Bundle;
import androidx.annotation.Nullable;

/** Compile-only stub of androidx.activity.ComponentActivity. */
public class ComponentActivity extends androidx.core.app.ComponentActivity {
    public ComponentActivity() { throw new UnsupportedOperationException("stub"); }

    @Override
    protected void onCreate(@Nullable Bundle savedInstanceState) { throw new UnsupportedOperationException("stub"); }

    @Override
    public void setContentView(int layoutResID) { throw new UnsupportedOperationException("stub"); }
}
