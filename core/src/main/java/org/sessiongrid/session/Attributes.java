package org.sessiongrid.session;

import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.BiConsumer;

/**
 * A record's attributes by name, sorted: an immutable map held as one array of alternating names and
 * {@link Attribute}s, looked up by binary search. Every write makes a new record on the primary and on
 * each backup: merging a change makes one array (a copy of the old one when only values change, a new
 * one of the new size when names come or go), where a tree map made a node per attribute, copies of
 * the tree and a wrapper per record.
 *
 * <p>Ordered by {@link String#compareTo}, as a {@code TreeMap<String, ?>} is, and equal to any map
 * with the same entries. Every mutator of the map interfaces throws
 * {@link UnsupportedOperationException}.
 */
public final class Attributes extends AbstractMap<String, Attribute> implements SortedMap<String, Attribute> {

    private static final Attributes EMPTY = new Attributes(new Object[0]);

    /** Names at even indexes, strictly ascending; each one's attribute at the odd index after it. */
    private final Object[] entries;

    private Attributes(Object[] entries) {
        this.entries = entries;
    }

    /** No attributes. */
    public static Attributes empty() {
        return EMPTY;
    }

    /** The entries of {@code map}, sorted by name; {@code map} itself if it is already an {@code Attributes}. */
    public static Attributes copyOf(Map<String, Attribute> map) {
        if (map instanceof Attributes a) {
            return a;
        }
        Builder b = builder(map.size());
        map.forEach(b::put);
        return b.build();
    }

    /**
     * A builder for {@code expectedSize} attributes (more may be put). Put in ascending order of names
     * and exactly that many, it hands its array to the result without a copy.
     */
    public static Builder builder(int expectedSize) {
        return new Builder(expectedSize);
    }

    /**
     * Collects attributes in any order; of a name put twice the later attribute counts, as in a map.
     * Not thread-safe; used once.
     */
    public static final class Builder {
        private Object[] pairs;
        private int n;
        private boolean ascending = true;

        private Builder(int expectedSize) {
            pairs = new Object[2 * Math.max(0, expectedSize)];
        }

        /**
         * Adds one attribute.
         *
         * @throws NullPointerException if {@code name} or {@code attribute} is null
         */
        public Builder put(String name, Attribute attribute) {
            Objects.requireNonNull(name, "attribute name");
            Objects.requireNonNull(attribute, "attribute");
            if (2 * n == pairs.length) {
                pairs = Arrays.copyOf(pairs, Math.max(4, 2 * pairs.length));
            }
            ascending &= n == 0 || ((String) pairs[2 * (n - 1)]).compareTo(name) < 0;
            pairs[2 * n] = name;
            pairs[2 * n + 1] = attribute;
            n++;
            return this;
        }

        public Attributes build() {
            if (n == 0) {
                return EMPTY;
            }
            Object[] e = ascending ? (2 * n == pairs.length ? pairs : Arrays.copyOf(pairs, 2 * n)) : sorted(pairs, n);
            pairs = null; // the result owns the array now
            return new Attributes(e);
        }
    }

    /** Sorts the pairs by name, keeping the last of equal names: a stable sort by name, then a pass. */
    private static Object[] sorted(Object[] e, int n) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparing(i -> (String) e[2 * i]));
        Object[] out = new Object[2 * n];
        int m = 0;
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (m > 0 && out[2 * (m - 1)].equals(e[2 * i])) {
                m--; // a later pair of the same name replaces the earlier one
            }
            out[2 * m] = e[2 * i];
            out[2 * m + 1] = e[2 * i + 1];
            m++;
        }
        return m == n ? out : Arrays.copyOf(out, 2 * m);
    }

    /**
     * These attributes with {@code set} given {@code version} and {@code removed} taken out (a name in
     * both is removed). One new array; this instance if nothing changes.
     */
    public Attributes with(Map<String, byte[]> set, Collection<String> removed, long version) {
        if (removed.isEmpty()) {
            // Values only, the common write: one pass over the set attributes, a copy of the array with the new
            // values in place; a name not here yet sends the write to the general path below.
            Object[] e = null;
            boolean allHere = true;
            for (Map.Entry<String, byte[]> s : set.entrySet()) {
                int i = indexOf(s.getKey());
                if (i < 0) {
                    allHere = false;
                    break;
                }
                e = e == null ? entries.clone() : e;
                e[2 * i + 1] = new Attribute(s.getValue(), version);
            }
            if (allHere) {
                return e == null ? this : new Attributes(e);
            }
        }
        int n = size();
        int added = 0;
        boolean removes = false;
        for (String name : set.keySet()) {
            if (indexOf(name) < 0 && !removed.contains(name)) {
                added++;
            }
        }
        if (!removed.isEmpty()) {
            for (String name : removed) {
                removes |= indexOf(name) >= 0;
            }
        }
        if (added == 0 && !removes) {
            // Values only, with removals of names that are not here.
            Object[] e = null;
            for (Map.Entry<String, byte[]> s : set.entrySet()) {
                int i = indexOf(s.getKey());
                if (i >= 0) {
                    e = e == null ? entries.clone() : e;
                    e[2 * i + 1] = new Attribute(s.getValue(), version);
                }
            }
            return e == null ? this : new Attributes(e);
        }
        Builder b = builder(n + added);
        int next = 0; // the first name set and not yet here, in ascending order, is merged in at its place
        String[] fresh = new String[added];
        for (String name : set.keySet()) {
            if (indexOf(name) < 0 && !removed.contains(name)) {
                fresh[next++] = name;
            }
        }
        Arrays.sort(fresh);
        next = 0;
        for (int i = 0; i < n; i++) {
            String name = name(i);
            for (; next < added && fresh[next].compareTo(name) < 0; next++) {
                b.put(fresh[next], new Attribute(set.get(fresh[next]), version));
            }
            if (!removed.contains(name)) {
                byte[] v = set.get(name);
                b.put(name, v == null ? attribute(i) : new Attribute(v, version));
            }
        }
        for (; next < added; next++) {
            b.put(fresh[next], new Attribute(set.get(fresh[next]), version));
        }
        return b.build();
    }

    /** The attributes changed after {@code version}. */
    public Attributes changedAfter(long version) {
        int n = size();
        int changed = 0;
        for (int i = 0; i < n; i++) {
            if (attribute(i).version() > version) {
                changed++;
            }
        }
        if (changed == n) {
            return this;
        }
        Object[] e = new Object[2 * changed];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (attribute(i).version() > version) {
                e[m++] = entries[2 * i];
                e[m++] = entries[2 * i + 1];
            }
        }
        return changed == 0 ? EMPTY : new Attributes(e);
    }

    /** The names in ascending order, an unmodifiable view (as unchanging as these attributes). */
    public List<String> names() {
        return new Names();
    }

    /** {@code names} itself if it is a {@link #names()} view, else an unmodifiable copy. */
    static List<String> unmodifiableNames(List<String> names) {
        return names instanceof Names ? names : List.copyOf(names);
    }

    private final class Names extends AbstractList<String> implements RandomAccess {
        @Override
        public String get(int index) {
            Objects.checkIndex(index, Attributes.this.size());
            return name(index);
        }

        @Override
        public int size() {
            return Attributes.this.size();
        }
    }

    /** The name at {@code index} (0 to {@code size() - 1}) in ascending order. */
    public String name(int index) {
        return (String) entries[2 * index];
    }

    /** The attribute at {@code index} (0 to {@code size() - 1}) in ascending order of names. */
    public Attribute attribute(int index) {
        return (Attribute) entries[2 * index + 1];
    }

    /** The index of {@code name}, or {@code -(insertion point) - 1} as {@link Arrays#binarySearch} answers. */
    public int indexOf(String name) {
        int lo = 0;
        int hi = size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = name(mid).compareTo(name);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    @Override
    public int size() {
        return entries.length >> 1;
    }

    @Override
    public boolean isEmpty() {
        return entries.length == 0;
    }

    @Override
    public Attribute get(Object key) {
        if (!(key instanceof String name)) {
            return null;
        }
        int i = indexOf(name);
        return i < 0 ? null : attribute(i);
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof String name && indexOf(name) >= 0;
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super Attribute> action) {
        for (int i = 0; i < entries.length; i += 2) {
            action.accept((String) entries[i], (Attribute) entries[i + 1]);
        }
    }

    @Override
    public Set<Map.Entry<String, Attribute>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<String, Attribute>> iterator() {
                return new Cursor<>() {
                    @Override
                    Map.Entry<String, Attribute> at(int i) {
                        return Map.entry(name(i), attribute(i));
                    }
                };
            }

            @Override
            public int size() {
                return Attributes.this.size();
            }
        };
    }

    /** Natural ordering of the names. */
    @Override
    public Comparator<? super String> comparator() {
        return null;
    }

    @Override
    public SortedMap<String, Attribute> subMap(String fromKey, String toKey) {
        if (fromKey.compareTo(toKey) > 0) {
            throw new IllegalArgumentException("fromKey > toKey");
        }
        return range(from(fromKey), from(toKey));
    }

    @Override
    public SortedMap<String, Attribute> headMap(String toKey) {
        return range(0, from(toKey));
    }

    @Override
    public SortedMap<String, Attribute> tailMap(String fromKey) {
        return range(from(fromKey), size());
    }

    /** A copy of the range, not a view: these attributes never change, so the two cannot differ. */
    private Attributes range(int from, int to) {
        return from == 0 && to == size() ? this : new Attributes(Arrays.copyOfRange(entries, 2 * from, 2 * to));
    }

    /** The index of the first name at or after {@code key}. */
    private int from(String key) {
        int i = indexOf(key);
        return i >= 0 ? i : -i - 1;
    }

    @Override
    public String firstKey() {
        if (isEmpty()) {
            throw new NoSuchElementException();
        }
        return name(0);
    }

    @Override
    public String lastKey() {
        if (isEmpty()) {
            throw new NoSuchElementException();
        }
        return name(size() - 1);
    }

    @Override
    public boolean equals(Object o) {
        if (o instanceof Attributes a) {
            return Arrays.equals(entries, a.entries);
        }
        return super.equals(o);
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (int i = 0; i < entries.length; i += 2) {
            h += entries[i].hashCode() ^ entries[i + 1].hashCode();
        }
        return h;
    }

    /** Walks the entries in order; {@link #at} makes the element of an index. */
    private abstract class Cursor<T> implements Iterator<T> {
        private int next;

        abstract T at(int i);

        @Override
        public boolean hasNext() {
            return next < size();
        }

        @Override
        public T next() {
            if (next >= size()) {
                throw new NoSuchElementException();
            }
            return at(next++);
        }
    }
}
