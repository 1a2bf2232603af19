package androidx.core.app;

import android.os.Bundle;
import androidx.annotation.NonNull;
import androidx.annotation.Nullable;
import androidx.lifecycle.Lifecycle;
import androidx.lifecycle.LifecycleOwner;

/** Compile-only stub of androidx.core.app.ComponentActivity. */
public class ComponentActivity extends android.app.Activity implements LifecycleOwner {
    public ComponentActivity() { throw new UnsupportedOperationException("stub"); }

    @Override
    protected void onCreate(@Nullable Bundle savedInstanceState) { throw new UnsupportedOperationException("stub"); }

    @NonNull
    @Override
    public Lifecycle getLifecycle() { throw new UnsupportedOperationException("stub"); }
}
