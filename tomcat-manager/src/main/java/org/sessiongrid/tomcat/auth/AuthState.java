package org.sessiongrid.tomcat.auth;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.Principal;
import java.util.Arrays;

import org.apache.catalina.realm.GenericPrincipal;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.UnreadableAttributeException;

/**
 * What Tomcat keeps in a session besides attributes and must travel with it so that a login
 * survives failover: the authenticated principal and the auth type (FORM, BASIC, ...). Carried in
 * the record's {@code containerData}.
 *
 * <p>The usual principal, a {@link GenericPrincipal} built by a Realm (name and roles), is written
 * as plain strings, so reading it back runs no Java deserialization at all. Any other principal
 * (JAAS, SPNEGO, custom realms) goes through the grid's attribute codec and its
 * {@code deserializationFilter}, like an attribute.
 *
 * @param authType  the auth type or null
 * @param principal the principal or null
 */
public record AuthState(String authType, Principal principal) {

    /** Name used for the principal in codec messages. */
    static final String PRINCIPAL = "(authenticated principal)";

    private static final int FORMAT = 1;
    private static final int NONE = 0;
    private static final int GENERIC = 1;
    private static final int SERIALIZED = 2;

    /** No login. */
    public static final AuthState EMPTY = new AuthState(null, null);

    public boolean isEmpty() {
        return authType == null && principal == null;
    }

    /**
     * @throws IllegalArgumentException (from the codec) if a non-standard principal is not serializable
     */
    public byte[] encode(AttributeCodec codec) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            writeNullable(out, authType);
            if (principal == null) {
                out.writeByte(NONE);
            } else if (isPlainGeneric(principal)) {
                GenericPrincipal gp = (GenericPrincipal) principal;
                out.writeByte(GENERIC);
                out.writeUTF(gp.getName());
                String[] roles = gp.getRoles();
                out.writeInt(roles.length);
                for (String r : roles) {
                    out.writeUTF(r);
                }
            } else {
                byte[] b = codec.encode(PRINCIPAL, principal);
                out.writeByte(SERIALIZED);
                out.writeInt(b.length);
                out.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // ByteArrayOutputStream does not throw
        }
        return bytes.toByteArray();
    }

    /**
     * Reads what {@link #encode} wrote.
     *
     * @throws UnreadableAttributeException if the bytes are malformed or the principal cannot be read
     */
    public static AuthState decode(byte[] data, AttributeCodec codec, ClassLoader loader)
            throws UnreadableAttributeException {
        if (data == null || data.length == 0) {
            return EMPTY;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new IOException("unknown format " + format);
            }
            String authType = in.readBoolean() ? in.readUTF() : null;
            int kind = in.readUnsignedByte();
            Principal p;
            switch (kind) {
                case NONE -> p = null;
                case GENERIC -> {
                    String name = in.readUTF();
                    int n = in.readInt();
                    if (n < 0 || n > 100_000) {
                        throw new IOException("bad role count " + n);
                    }
                    String[] roles = new String[n];
                    for (int i = 0; i < n; i++) {
                        roles[i] = in.readUTF();
                    }
                    p = GenericPrincipalConstructor.create(name, Arrays.asList(roles));
                }
                case SERIALIZED -> {
                    int n = in.readInt();
                    if (n < 0 || n > in.available()) {
                        throw new IOException("bad principal length " + n);
                    }
                    byte[] b = in.readNBytes(n);
                    p = (Principal) codec.decode(PRINCIPAL, b, loader);
                }
                default -> throw new IOException("unknown principal kind " + kind);
            }
            return new AuthState(authType, p);
        } catch (IOException | ClassCastException e) {
            throw new UnreadableAttributeException(PRINCIPAL, UnreadableAttributeException.Reason.CORRUPT, null,
                    "the session's login data is malformed (" + e.getMessage() + "); the user must log in again",
                    e);
        }
    }

    /** A realm's principal with nothing but name and roles: rebuilt exactly from those. */
    private static boolean isPlainGeneric(Principal p) {
        if (p.getClass() != GenericPrincipal.class) {
            return false;
        }
        GenericPrincipal gp = (GenericPrincipal) p;
        return gp.getUserPrincipal() == gp && !gp.getAttributeNames().hasMoreElements();
    }

    private static void writeNullable(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    @Override
    public String toString() {
        return "AuthState[" + authType + ", " + (principal == null ? "-" : principal.getName()) + "]";
    }
}
