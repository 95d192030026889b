package org.sessiongrid.tomcat;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.sessiongrid.codec.AttributeCodec;

/**
 * What the requests changed in one copy ({@link GridSession}) since its last commit: attributes set or removed,
 * attributes read whose values are not known to be immutable (they may have been changed in place; the commit
 * serializes them and compares hashes), a timeout or an authentication change, and the bytes a known-immutable
 * value was serialized to when it was set, which the commit sends instead of serializing it again.
 *
 * <p>Thread-safe without a lock: requests on several threads (and an Accessor) record changes while a commit takes
 * them. Names are drained element by element, never swapped, so a name added while a commit collects them stays
 * for the next.
 */
final class ChangeLog {

    private final Set<String> written = ConcurrentHashMap.newKeySet();
    private final Set<String> removed = ConcurrentHashMap.newKeySet();
    private final Set<String> read = ConcurrentHashMap.newKeySet();
    /**
     * The bytes a known-immutable value was serialized to when it was set, by name, until the next commit takes
     * them. Keyed by the value's identity, so a value set again meanwhile (by any thread) is serialized anew.
     */
    private final Map<String, Encoded> encodedAtSet = new ConcurrentHashMap<>();
    private final AtomicBoolean timeoutChanged = new AtomicBoolean();
    private final AtomicBoolean authChanged = new AtomicBoolean();

    /** A value got by the application that may be changed in place. */
    void read(String name) {
        read.add(name);
    }

    /** {@code value}, known to be immutable, was set as {@code name} and serialized to {@code bytes}. */
    void encodedAtSet(String name, Object value, byte[] bytes) {
        encodedAtSet.put(name, new Encoded(value, bytes));
    }

    void written(String name) {
        removed.remove(name);
        written.add(name);
    }

    /** {@code name} left the copy: the bytes made when it was set no longer serve. */
    void left(String name) {
        encodedAtSet.remove(name);
    }

    void removed(String name) {
        written.remove(name);
        removed.add(name);
    }

    void timeoutChanged() {
        timeoutChanged.set(true);
    }

    void authChanged() {
        authChanged.set(true);
    }

    /** True if the timeout changed and no commit took it yet: a refresh keeps this copy's. */
    boolean timeoutPending() {
        return timeoutChanged.get();
    }

    /** True if the authentication changed and no commit took it yet: a refresh keeps this copy's. */
    boolean authPending() {
        return authChanged.get();
    }

    /** True if {@code name} was set and no commit took it yet. */
    boolean isWritten(String name) {
        return written.contains(name);
    }

    /** True if {@code name} was set or removed and no commit took it yet: a refresh leaves it alone. */
    boolean isPending(String name) {
        return written.contains(name) || removed.contains(name);
    }

    /** True if any attribute was set, removed or read as possibly changed in place. */
    boolean attributesTouched() {
        return !written.isEmpty() || !removed.isEmpty() || !read.isEmpty();
    }

    /** True if nothing at all was recorded. */
    boolean isEmpty() {
        return !attributesTouched() && !timeoutChanged.get() && !authChanged.get();
    }

    // A commit takes each kind of change with one call (written, read, removed, then the flags); what is
    // recorded meanwhile stays for the next commit.

    Set<String> takeWritten() {
        return drain(written);
    }

    Set<String> takeRead() {
        return drain(read);
    }

    Set<String> takeRemoved() {
        return drain(removed);
    }

    boolean takeTimeoutChanged() {
        return timeoutChanged.getAndSet(false);
    }

    boolean takeAuthChanged() {
        return authChanged.getAndSet(false);
    }

    /** The bytes made when {@code value} was set as {@code name}, if it still is that very value; else null. */
    byte[] takeEncoded(String name, Object value) {
        Encoded atSet = encodedAtSet.remove(name);
        return atSet != null && atSet.value() == value ? atSet.bytes() : null;
    }

    /** The mutable values of {@code names}, as {@code attributes} holds them now, are compared again at the next commit. */
    void readAgain(Collection<String> names, Map<String, Object> attributes) {
        for (String name : names) {
            Object v = attributes.get(name);
            if (v != null && !AttributeCodec.isKnownImmutable(v)) {
                read.add(name);
            }
        }
    }

    /** The copy is gone: no bytes made at a set serve any more. */
    void clearEncoded() {
        encodedAtSet.clear();
    }

    /**
     * Takes the names out of {@code set} one by one; names added meanwhile stay for the next commit. An empty set is
     * not iterated (most commits remove nothing, many read nothing mutable): the JIT's compiled drain traps and is
     * compiled again once it meets an empty {@code ConcurrentHashMap}'s iterator after a profile of non-empty ones.
     */
    private static Set<String> drain(Set<String> set) {
        Set<String> out = new LinkedHashSet<>();
        if (set.isEmpty()) {
            return out;
        }
        for (String name : set) {
            if (set.remove(name)) {
                out.add(name);
            }
        }
        return out;
    }

    /** A known-immutable attribute value and its serialized form. */
    private record Encoded(Object value, byte[] bytes) {
    }
}
