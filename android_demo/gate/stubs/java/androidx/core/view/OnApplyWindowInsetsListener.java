package androidx.core.view;

import android.view.View;
import androidx.annotation.NonNull;

/** Compile-only stub of androidx.core.view.OnApplyWindowInsetsListener. */
public interface OnApplyWindowInsetsListener {
    @NonNull
    WindowInsetsCompat onApplyWindowInsets(@NonNull View v, @NonNull WindowInsetsCompat insets);
}
