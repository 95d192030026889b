package org.sessiongrid.settings;

/**
 * The name the container gives this node, and how it decides the grid member's name
 * ({@code nodeName}).
 *
 * @param name    the container's name for this node, or null when it has none
 * @param source  what the container calls it, for messages (for example "the Engine's jvmRoute")
 * @param binding true if the member's name must equal it (a session id's route carries it and must
 *                name the session's primary); false if it is only the default when {@code nodeName}
 *                is not set
 */
public record MemberName(String name, String source, boolean binding) {

    private static final MemberName NONE = new MemberName(null, "none", false);

    /** The container names nothing: {@code nodeName} or the grid's default ({@code host-pid}). */
    public static MemberName none() {
        return NONE;
    }

    /**
     * A name the member must carry: {@code nodeName} may be left out or set to the same name; a
     * blank or null name is {@link #none()}.
     */
    public static MemberName required(String name, String source) {
        return name == null || name.isBlank() ? NONE : new MemberName(name.trim(), source, true);
    }

    /** A name the member takes when {@code nodeName} is not set; a blank or null name is {@link #none()}. */
    public static MemberName fallback(String name, String source) {
        return name == null || name.isBlank() ? NONE : new MemberName(name.trim(), source, false);
    }

    /**
     * The member name to use, given {@code nodeName} as resolved (null if not set), or null for the
     * grid's default.
     *
     * @throws IllegalArgumentException if a binding name and {@code nodeName} differ, naming both and
     *                                  the fix
     */
    String choose(String nodeName) {
        if (name == null) {
            return nodeName;
        }
        if (!binding) {
            return nodeName != null ? nodeName : name;
        }
        if (nodeName != null && !nodeName.equals(name)) {
            throw new IllegalArgumentException("SessionGrid setting nodeName=\"" + nodeName + "\" is invalid: the member"
                    + " name must equal " + source + " (\"" + name + "\") so that the session id's route names the"
                    + " session's primary; remove nodeName or set it to \"" + name + "\"");
        }
        return name;
    }
}
