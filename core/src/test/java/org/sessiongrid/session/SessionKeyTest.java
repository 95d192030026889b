package org.sessiongrid.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class SessionKeyTest {

    @Test
    void equalExactlyWhenNamespaceAndIdAreEqual() {
        SessionKey k = new SessionKey("/app", "abc");
        SessionKey same = new SessionKey(new String("/app"), new String("abc"));
        assertEquals(k, same);
        assertEquals(k.hashCode(), same.hashCode());
        assertNotEquals(k, new SessionKey("/app", "abd"));
        assertNotEquals(k, new SessionKey("/other", "abc"));
        // The namespace and the id are not one concatenated string.
        assertNotEquals(new SessionKey("/a", "bc"), new SessionKey("/ab", "c"));
        assertNotEquals(k, null);
        assertNotEquals(k, "/app#abc");
    }
}
