package androidx.core.view;

import androidx.annotation.NonNull;
import androidx.core.graphics.Insets;

/** Compile-only stub of androidx.core.view.WindowInsetsCompat. */
public class WindowInsetsCompat {
    @NonNull
    public static final WindowInsetsCompat CONSUMED = null;

    private WindowInsetsCompat() { throw new UnsupportedOperationException("stub"); }

    @NonNull
    public Insets getInsets(int typeMask) { throw new UnsupportedOperationException("stub"); }

    /** Inset types. */
    public static final class Type {
        private Type() {}

        public static int systemBars() { throw new UnsupportedOperationException("stub"); }

        public static int displayCutout() { throw new UnsupportedOperationException("stub"); }

        public static int ime() { throw new UnsupportedOperationException("stub"); }
    }
}
