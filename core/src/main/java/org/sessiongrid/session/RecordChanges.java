package org.sessiongrid.session;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The difference between a record a node holds and the current one: the new version and metadata,
 * the attributes changed after the node's version, and the names of all current attributes (so the
 * node can drop those removed meanwhile). With {@code baseVersion == 0} it is a whole record.
 *
 * @param key         the session
 * @param baseVersion the version these changes apply to ({@code 0}: to nothing, i.e. a whole record)
 * @param version     the version after applying
 * @param meta        the current metadata
 * @param changed     attributes changed after {@code baseVersion}
 * @param names       all attribute names of the current record, in ascending order (in another order,
 *                    or with a name twice, the record applied is the same)
 */
public record RecordChanges(SessionKey key, long baseVersion, long version, SessionMeta meta,
                            Attributes changed, List<String> names) {

    public RecordChanges {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(changed, "changed");
        names = Attributes.unmodifiableNames(names);
    }

    /** As the canonical constructor, with {@code changed} copied into {@link Attributes}. */
    public RecordChanges(SessionKey key, long baseVersion, long version, SessionMeta meta,
                         Map<String, Attribute> changed, List<String> names) {
        this(key, baseVersion, version, meta, Attributes.copyOf(changed), names);
    }

    /**
     * Applies these changes to {@code base}, which must be at {@link #baseVersion()} (or null when the
     * base version is 0).
     *
     * @throws IllegalArgumentException if {@code base} is not the version these changes start from
     */
    public SessionRecord applyTo(SessionRecord base) {
        if (baseVersion == 0) {
            return new SessionRecord(key, version, meta, changed);
        }
        if (base == null || base.version() != baseVersion) {
            throw new IllegalArgumentException("changes of " + key + " start at v" + baseVersion + " but the copy is at "
                    + (base == null ? "nothing" : "v" + base.version()));
        }
        Attributes.Builder attrs = Attributes.builder(names.size());
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            Attribute a = changed.get(n);
            if (a == null) {
                a = base.attributes().get(n);
            }
            if (a == null) {
                throw new IllegalArgumentException("changes of " + key + " name attribute '" + n
                        + "' that is neither changed nor in the base copy");
            }
            attrs.put(n, a);
        }
        return new SessionRecord(key, version, meta, attrs.build());
    }

    /** Whole-record form of a record. */
    public static RecordChanges whole(SessionRecord r) {
        return new RecordChanges(r.key(), 0, r.version(), r.meta(), r.attributes(), r.attributes().names());
    }

    /** Convenience for callers that only want the attribute values. */
    public Map<String, Attribute> changedAttributes() {
        return changed;
    }
}
