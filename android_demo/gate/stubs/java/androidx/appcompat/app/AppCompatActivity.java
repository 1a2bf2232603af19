package androidx.appcompat.app;

import android.view.View;
import androidx.fragment.app.FragmentActivity;

/** Compile-only stub of androidx.appcompat.app.AppCompatActivity (appcompat 1.7.0). */
public class AppCompatActivity extends FragmentActivity {
    public AppCompatActivity() { throw new UnsupportedOperationException("stub"); }

    @Override
    public void setContentView(int layoutResID) { throw new UnsupportedOperationException("stub"); }

    @Override
    public <T extends View> T findViewById(int id) { throw new UnsupportedOperationException("stub"); }

    @Override
    protected void onDestroy() { throw new UnsupportedOperationException("stub"); }
}
