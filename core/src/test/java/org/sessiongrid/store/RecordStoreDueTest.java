package org.sessiongrid.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionMeta;
import org.sessiongrid.session.SessionRecord;

/**
 * The expiry index follows writes lazily: a write that moves a session's expiry later (every request of a
 * live session does) leaves its index entry where it was, and {@link RecordStore#due} still returns a
 * session exactly when its record is due, never earlier, never later.
 */
class RecordStoreDueTest {

    private static final SessionKey KEY = new SessionKey("localhost/due", "S1");
    private static final long T0 = 1_700_000_000_000L;

    private static SessionRecord accessedAt(long accessTime, long version, int maxInactiveSeconds) {
        return new SessionRecord(KEY, version, new SessionMeta(T0, accessTime, maxInactiveSeconds, true, null),
                new TreeMap<>());
    }

    @Test
    void aLaterExpiryLeavesTheIndexEntryWhereItWas() {
        ExpiryIndex index = new ExpiryIndex();
        index.update(KEY, 100);
        index.update(KEY, 200);
        // The entry stays at 100: the index may be early, never late.
        assertEquals(List.of(KEY), index.due(150, 10));
        index.update(KEY, 50);
        assertEquals(List.of(KEY), index.due(50, 10), "an earlier expiry moves the entry at once");
        index.set(KEY, 300);
        assertEquals(List.of(), index.due(299, 10), "set moves it to the exact time, later too");
        assertEquals(List.of(KEY), index.due(300, 10));
    }

    @Test
    void aSessionIsDueWhenItsRecordIsDueNotWhenItsFirstEntryWas() {
        RecordStore store = new RecordStore(4);
        store.put(accessedAt(T0, 1, 60));
        store.put(accessedAt(T0 + 30_000, 2, 60)); // a request 30 s later: expires at T0 + 90 s
        assertEquals(List.of(), store.due(T0 + 60_000, 10, k -> true), "not due at its first expiry time");
        assertEquals(List.of(), store.due(T0 + 89_999, 10, k -> true), "the entry was moved to the record's time");
        assertEquals(List.of(KEY), store.due(T0 + 90_000, 10, k -> true));
    }

    @Test
    void aShorterTimeoutIsDueAtOnce() {
        RecordStore store = new RecordStore(4);
        store.put(accessedAt(T0, 1, 600));
        store.put(accessedAt(T0 + 1_000, 2, 10)); // the application shortened the timeout to 10 s
        assertEquals(List.of(KEY), store.due(T0 + 11_000, 10, k -> true));
    }

    @Test
    void anEarlyEntryIsNeitherReturnedNorCountedAgainstTheBatch() {
        RecordStore store = new RecordStore(4);
        SessionKey other = new SessionKey("localhost/due", "S2");
        store.put(accessedAt(T0, 1, 60));
        store.put(new SessionRecord(other, 1, new SessionMeta(T0, T0 + 1_000, 60, true, null), new TreeMap<>()));
        store.put(accessedAt(T0 + 30_000, 2, 60));
        // S1's entry (T0 + 60 s) comes first but is early; S2 (due at T0 + 61 s) fills the batch of one.
        assertEquals(List.of(other), store.due(T0 + 61_000, 1, k -> true));
    }
}
