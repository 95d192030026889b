package org.sessiongrid.session;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What one request changed in a session: attributes set or removed and metadata updates. Only this
 * travels to the primary, which merges it attribute by attribute into the current record, so
 * concurrent requests that change different attributes both keep their change.
 *
 * <p>Immutable; build with {@link #builder()}. Every operation is idempotent (it sets values, it
 * never increments), so a delta retried after a failover cannot apply twice in a harmful way.
 */
public final class SessionDelta {

    /** Marker for "not changed" in the numeric fields. */
    public static final long UNCHANGED = Long.MIN_VALUE;

    private final long creationTime;
    private final long lastAccessedTime;
    private final long maxInactiveInterval;
    private final boolean containerDataChanged;
    private final byte[] containerData;
    private final Map<String, byte[]> set;
    private final Set<String> removed;

    private SessionDelta(Builder b) {
        this.creationTime = b.creationTime;
        this.lastAccessedTime = b.lastAccessedTime;
        this.maxInactiveInterval = b.maxInactiveInterval;
        this.containerDataChanged = b.containerDataChanged;
        this.containerData = b.containerData;
        this.set = Collections.unmodifiableMap(new LinkedHashMap<>(b.set));
        this.removed = Collections.unmodifiableSet(new LinkedHashSet<>(b.removed));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Creation time for a new session, or {@link #UNCHANGED}. */
    public long creationTime() {
        return creationTime;
    }

    /** New last-access time, or {@link #UNCHANGED}. */
    public long lastAccessedTime() {
        return lastAccessedTime;
    }

    /** New max inactive interval in seconds, or {@link #UNCHANGED}. */
    public long maxInactiveInterval() {
        return maxInactiveInterval;
    }

    public boolean containerDataChanged() {
        return containerDataChanged;
    }

    /** The new container data (may be null to clear it); meaningful only if {@link #containerDataChanged()}. */
    public byte[] containerData() {
        return containerData;
    }

    /** Attributes set by the request: name to serialized value. */
    public Map<String, byte[]> set() {
        return set;
    }

    /** Attributes removed by the request. */
    public Set<String> removed() {
        return removed;
    }

    /** True if the delta changes nothing but, possibly, the last-access time. */
    public boolean isAccessOnly() {
        return set.isEmpty() && removed.isEmpty() && !containerDataChanged && maxInactiveInterval == UNCHANGED
                && creationTime == UNCHANGED;
    }

    /** Serialized size of the attribute values, for limits and statistics. */
    public long valueBytes() {
        long n = 0;
        for (byte[] v : set.values()) {
            n += v.length;
        }
        return n;
    }

    @Override
    public String toString() {
        return "SessionDelta[set=" + set.keySet() + ", removed=" + removed + (isAccessOnly() ? ", access-only" : "")
                + "]";
    }

    /** Collects the changes of one request. Not thread-safe. */
    public static final class Builder {
        private long creationTime = UNCHANGED;
        private long lastAccessedTime = UNCHANGED;
        private long maxInactiveInterval = UNCHANGED;
        private boolean containerDataChanged;
        private byte[] containerData;
        private final Map<String, byte[]> set = new LinkedHashMap<>();
        private final Set<String> removed = new LinkedHashSet<>();

        public Builder creationTime(long t) {
            this.creationTime = t;
            return this;
        }

        public Builder lastAccessedTime(long t) {
            this.lastAccessedTime = t;
            return this;
        }

        public Builder maxInactiveInterval(int seconds) {
            this.maxInactiveInterval = seconds;
            return this;
        }

        public Builder containerData(byte[] data) {
            this.containerDataChanged = true;
            this.containerData = data;
            return this;
        }

        /** Sets an attribute; a later {@link #remove} of the same name wins, and vice versa. */
        public Builder set(String name, byte[] value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            removed.remove(name);
            set.put(name, value);
            return this;
        }

        public Builder remove(String name) {
            Objects.requireNonNull(name, "name");
            set.remove(name);
            removed.add(name);
            return this;
        }

        private Builder() {
        }

        public SessionDelta build() {
            return new SessionDelta(this);
        }
    }
}
