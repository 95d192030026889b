package org.sessiongrid.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectStreamClass;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Map;

/**
 * Resolves with the given loader and checks every class, including proxy interfaces, against the policy
 * ({@link ReadState}). One stream per {@link AttributeDecoder#decode}, on the thread that decodes.
 */
final class FilteringInputStream extends ObjectInputStream {
    private static final Map<String, Class<?>> PRIMITIVES = Map.of(
            "boolean", boolean.class, "byte", byte.class, "char", char.class, "short", short.class,
            "int", int.class, "long", long.class, "float", float.class, "double", double.class,
            "void", void.class);

    private static final InvocationHandler NO_HANDLER = (proxy, method, args) -> {
        throw new UnsupportedOperationException("placeholder proxy used only to resolve a proxy class");
    };

    private final ReadState state;

    FilteringInputStream(InputStream in, ReadState state) throws IOException {
        super(in);
        this.state = state;
        // The stream starts out with the JVM-wide filter; setting ours would replace it, so merge.
        ObjectInputFilter jvmWide = getObjectInputFilter();
        setObjectInputFilter(jvmWide == null ? state
                : ObjectInputFilter.merge(state, state.recordingJvmWide(jvmWide)));
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
        String name = desc.getName();
        state.precheck(name);
        Class<?> primitive = PRIMITIVES.get(name);
        return primitive != null ? primitive : load(name);
    }

    private Class<?> load(String name) throws ClassNotFoundException {
        try {
            return Class.forName(name, false, state.loader());
        } catch (ClassNotFoundException e) {
            state.noteMissing(name);
            throw e;
        } catch (RuntimeException e) {
            // A loader that refuses to load (e.g. Tomcat's after the webapp stopped) is a class
            // resolution problem, not a corrupt record.
            state.noteMissing(name);
            throw new ClassNotFoundException(name, e);
        }
    }

    @Override
    protected Class<?> resolveProxyClass(String[] interfaces) throws IOException, ClassNotFoundException {
        for (String name : interfaces) {
            state.precheck(name);
        }
        Class<?>[] classes = new Class<?>[interfaces.length];
        ClassLoader nonPublicLoader = null;
        boolean hasNonPublic = false;
        for (int i = 0; i < interfaces.length; i++) {
            classes[i] = load(interfaces[i]);
            // Like the JDK: a non-public interface pins the proxy to its own loader.
            if (!Modifier.isPublic(classes[i].getModifiers())) {
                if (hasNonPublic && nonPublicLoader != classes[i].getClassLoader()) {
                    throw new InvalidClassException(interfaces[i], "non-public proxy interfaces from different class loaders");
                }
                nonPublicLoader = classes[i].getClassLoader();
                hasNonPublic = true;
            }
        }
        try {
            // newProxyInstance(...).getClass() instead of the deprecated Proxy.getProxyClass.
            return Proxy.newProxyInstance(hasNonPublic ? nonPublicLoader : state.loader(), classes, NO_HANDLER).getClass();
        } catch (IllegalArgumentException e) {
            throw new ClassNotFoundException("cannot define a proxy for " + Arrays.toString(interfaces), e);
        }
    }
}
