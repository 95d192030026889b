package org.sessiongrid.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemberTest {

    @Test
    void requiresAnId() {
        assertThrows(NullPointerException.class, () -> new Member(null, "a", null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new Member("", "a", null, null, null));
    }

    @Test
    void ordersById() {
        Member b = new Member("b", "zzz");
        Member a = new Member("a", "yyy", "site", "rack", "machine");
        List<Member> list = new ArrayList<>(List.of(b, a));
        list.sort(null);
        assertEquals(List.of(a, b), list);
        assertTrue(a.compareTo(b) < 0);
    }

    @Test
    void printsNameOrId() {
        assertEquals("node-1", new Member("uuid-1", "node-1").toString());
        assertEquals("uuid-1", new Member("uuid-1", null).toString());
    }

    @Test
    void shortConstructorHasNoTags() {
        Member m = new Member("id", "name");
        assertNull(m.site());
        assertNull(m.rack());
        assertNull(m.machine());
    }
}
