package org.sessiongrid.session;

import java.util.Objects;

/**
 * Identifies one session record: the webapp namespace (host + context path) and the session id
 * without any route suffix. Two webapps may hold sessions with the same id; the namespace keeps
 * them apart, while the segment depends on the id alone so that all of a user's webapps share
 * owners.
 */
public record SessionKey(String namespace, String id) implements Comparable<SessionKey> {

    public SessionKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(id, "id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("session id must not be empty");
        }
    }

    @Override
    public int compareTo(SessionKey o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : id.compareTo(o.id);
    }

    /**
     * Equal namespace and id. Written out, as is {@link #hashCode}, because every map and lock of the request
     * path looks keys up: a record's generated methods are an {@code invokedynamic} call site whose method-handle
     * chain the JIT does not always inline into large callers (it showed in the write path's profile).
     */
    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof SessionKey k && id.equals(k.id) && namespace.equals(k.namespace);
    }

    @Override
    public int hashCode() {
        return 31 * namespace.hashCode() + id.hashCode();
    }

    @Override
    public String toString() {
        return namespace + "#" + id;
    }
}
