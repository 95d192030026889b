package org.sessiongrid.tomcat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.DeserializationPolicy;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;

/**
 * When a commit of a stored copy may skip building, encoding and comparing a delta
 * ({@link GridSession#unchangedSinceCommit}), and when the route of its id needs no new look-up
 * ({@link GridSession#routeCheckedUnder}). No grid: a copy loaded from a record, as a request finds it.
 */
class ReadOnlyCommitTest {

    private final AttributeCodec codec = new AttributeCodec(DeserializationPolicy.defaults());
    private GridSession s;

    @BeforeEach
    void load() {
        SessionDelta d = SessionDelta.builder().creationTime(1000).lastAccessedTime(1000).maxInactiveInterval(1800)
                .set("counter", codec.encode("counter", 7))
                .set("name", codec.encode("name", "alice"))
                .set("box", codec.encode("box", new int[] {1}))
                .build();
        SessionRecord r = SessionRecord.create(new SessionKey("localhost/app", "abc"), 1, d);
        s = new GridSession(new SessionGridManager());
        s.load(r, "abc.n1", codec, getClass().getClassLoader());
    }

    @Test
    void readingOnlyImmutableValuesLeavesTheCopyUnchanged() {
        assertTrue(s.unchangedSinceCommit(), "just loaded");
        assertEquals(7, s.getAttribute("counter"));
        assertEquals("alice", s.getAttribute("name"));
        assertNull(s.getAttribute("missing"));
        assertTrue(s.unchangedSinceCommit(), "only immutable values (and a missing one) were read");
    }

    @Test
    void aMutableValueGotByGetAttributeCountsAsChanged() {
        int[] box = (int[]) s.getAttribute("box");
        box[0]++; // changed in place, never set again: the commit must serialize and compare it
        assertFalse(s.unchangedSinceCommit());
        GridSession.Pending p = s.takeChanges(codec);
        assertTrue(p.delta().set().containsKey("box"), "the change made in place is in the delta: " + p.delta());
        assertTrue(s.unchangedSinceCommit(), "taken by the commit");
    }

    @Test
    void timeoutAndAuthenticationChangesCountAsChanged() {
        s.setMaxInactiveInterval(60);
        assertFalse(s.unchangedSinceCommit(), "timeout");
        s.takeChanges(codec);
        assertTrue(s.unchangedSinceCommit());
        s.setAuthType("FORM");
        assertFalse(s.unchangedSinceCommit(), "authentication");
    }

    @Test
    void aNewSessionNotStoredYetIsNeverUnchanged() {
        GridSession fresh = new GridSession(new SessionGridManager());
        fresh.setValid(true);
        assertFalse(fresh.unchangedSinceCommit(), "its first commit creates it in the grid");
    }

    @Test
    void aRouteIsLookedUpAgainUnderANewTopologyOrForANewId() {
        assertNull(s.routeCheckedUnder(5), "never looked up");
        s.routeChecked(5);
        assertEquals("abc.n1", s.routeCheckedUnder(5));
        assertNull(s.routeCheckedUnder(6), "another topology may have other owners");
        s.setId("abc.n2", false);
        assertNull(s.routeCheckedUnder(5), "the id changed since");
        assertEquals("abc", s.key());
    }
}
