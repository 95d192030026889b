package org.sessiongrid.grid;

import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which requests hold their session's cluster-wide lock (setting {@code lockingMode}): {@code none}
 * (the default: concurrent requests merge at attribute level), {@code all}, or
 * {@code uriPattern:REGEX} (requests whose URI, without the context path, matches REGEX).
 * Parsed here once so that every container adapter accepts exactly the same values.
 */
public final class LockingMode {

    public static final LockingMode NONE = new LockingMode("none", null, false);
    public static final LockingMode ALL = new LockingMode("all", null, true);

    private final String text;
    private final Pattern pattern;
    private final boolean all;

    private LockingMode(String text, Pattern pattern, boolean all) {
        this.text = text;
        this.pattern = pattern;
        this.all = all;
    }

    /**
     * @throws IllegalArgumentException naming the setting, the value and the accepted forms
     */
    public static LockingMode parse(String value) {
        Objects.requireNonNull(value, "lockingMode");
        String v = value.trim();
        if (v.equalsIgnoreCase("none")) {
            return NONE;
        }
        if (v.equalsIgnoreCase("all")) {
            return ALL;
        }
        if (v.regionMatches(true, 0, "uriPattern:", 0, "uriPattern:".length())) {
            String regex = v.substring("uriPattern:".length());
            try {
                return new LockingMode(v, Pattern.compile(regex), false);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("SessionGrid setting lockingMode=\"" + value
                        + "\" is invalid: the regular expression does not compile (" + e.getDescription() + ")");
            }
        }
        throw new IllegalArgumentException("SessionGrid setting lockingMode=\"" + value
                + "\" is invalid: expected none, all or uriPattern:REGEX");
    }

    /** True if a request for {@code uri} (relative to the context) must hold the session lock. */
    public boolean appliesTo(String uri) {
        return all || (pattern != null && uri != null && pattern.matcher(uri).matches());
    }

    public boolean isNone() {
        return !all && pattern == null;
    }

    @Override
    public String toString() {
        return text;
    }
}
