package androidx.fragment.app;

import android.os.Bundle;
import androidx.annotation.Nullable;

/** Compile-only stub of androidx.fragment.app.FragmentActivity. */
public class FragmentActivity extends androidx.activity.ComponentActivity {
    public FragmentActivity() { throw new UnsupportedOperationException("stub"); }

    @Override
    protected void onCreate(@Nullable Bundle savedInstanceState) { throw new UnsupportedOperationException("stub"); }

    @Override
    protected void onDestroy() { throw new UnsupportedOperationException("stub"); }
}
