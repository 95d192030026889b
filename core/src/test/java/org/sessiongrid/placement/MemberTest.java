package org.sessiongrid.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

    @Test
    void equalExactlyWhenEveryComponentIsEqual() {
        String[][] values = {{"id", "id2"}, {"name", null}, {"site", null}, {"rack", null}, {"machine", null}};
        Member base = new Member("id", "name", "site", "rack", "machine");
        assertEquals(base, new Member(new String("id"), new String("name"), "site", "rack", "machine"));
        assertEquals(base.hashCode(), new Member(new String("id"), "other", null, null, null).hashCode());
        for (int i = 0; i < values.length; i++) {
            String[] c = {"id", "name", "site", "rack", "machine"};
            c[i] = values[i][1];
            Member other = new Member(c[0], c[1], c[2], c[3], c[4]);
            assertNotEquals(base, other, "differs in component " + i);
            assertNotEquals(other, base, "differs in component " + i);
        }
        assertNotEquals(base, null);
        assertNotEquals(base, "id");
    }
}
