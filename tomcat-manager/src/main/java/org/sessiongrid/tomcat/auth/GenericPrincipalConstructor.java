package org.sessiongrid.tomcat.auth;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;

import org.apache.catalina.realm.GenericPrincipal;

/**
 * Builds a {@link GenericPrincipal} from a name and roles on every Tomcat line the manager runs on. The
 * lines have no constructor in common: Tomcat 10.1 and 11 have {@code (name, roles)}, Tomcat 9 only
 * {@code (name, password, roles)} (the password is not needed once a user is authenticated, and a
 * principal travels without it). A call compiled against one line would fail with
 * {@code NoSuchMethodError} on the other, so the constructor is looked up once, when the class loads.
 */
final class GenericPrincipalConstructor {

    private static final MethodHandle CONSTRUCTOR = find();

    private GenericPrincipalConstructor() {
    }

    /** A principal with {@code name} and {@code roles}, as a Realm makes it (no password, no attributes). */
    static GenericPrincipal create(String name, List<String> roles) {
        try {
            return (GenericPrincipal) CONSTRUCTOR.invokeExact(name, roles);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("GenericPrincipal(" + name + ") could not be built", e);
        }
    }

    private static MethodHandle find() {
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        try {
            return lookup.findConstructor(GenericPrincipal.class, MethodType.methodType(void.class, String.class,
                    List.class));
        } catch (NoSuchMethodException | IllegalAccessException tomcat10AndLater) {
            try {
                // Tomcat 9: (name, password, roles), with no password.
                MethodHandle withPassword = lookup.findConstructor(GenericPrincipal.class,
                        MethodType.methodType(void.class, String.class, String.class, List.class));
                return MethodHandles.insertArguments(withPassword, 1, (Object) null);
            } catch (NoSuchMethodException | IllegalAccessException e) {
                throw new IllegalStateException("this Tomcat's GenericPrincipal has neither (String, List) nor"
                        + " (String, String, List) as a constructor; SessionGrid supports Tomcat 9, 10.1 and 11", e);
            }
        }
    }
}
