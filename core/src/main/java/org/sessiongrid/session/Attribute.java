package org.sessiongrid.session;

import java.util.Arrays;
import java.util.Objects;

/**
 * One serialized attribute value and the record version at which it last changed. The version lets
 * a node that holds version {@code v} of a record fetch only the attributes changed after {@code v}.
 */
public record Attribute(byte[] value, long version) {

    public Attribute {
        Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Attribute a && a.version == version && Arrays.equals(a.value, value);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(value) + Long.hashCode(version);
    }

    @Override
    public String toString() {
        return "Attribute[" + value.length + " bytes @v" + version + "]";
    }
}
