package androidx.core.view;

import android.view.View;
import androidx.annotation.NonNull;
import androidx.annotation.Nullable;

/** Compile-only stub of androidx.core.view.ViewCompat (the member the app calls). */
public class ViewCompat {
    protected ViewCompat() {}

    public static void setOnApplyWindowInsetsListener(@NonNull View v, @Nullable OnApplyWindowInsetsListener listener) {
        throw new UnsupportedOperationException("stub");
    }
}
