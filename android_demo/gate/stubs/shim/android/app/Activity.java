package android.app;

import android.os.Bundle;
import android.view.View;

/** Compile shim (see ../../../README.md): the API-26 generic findViewById. */
public class Activity extends android.view.ContextThemeWrapper {
    public <T extends View> T findViewById(int id) { throw new UnsupportedOperationException(); }
    public void setContentView(int layoutResID) { throw new UnsupportedOperationException(); }
    protected void onCreate(Bundle savedInstanceState) { throw new UnsupportedOperationException(); }
    protected void onDestroy() { throw new UnsupportedOperationException(); }
}
