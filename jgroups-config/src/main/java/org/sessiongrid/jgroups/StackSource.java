package org.sessiongrid.jgroups;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The raw bytes of a stack file together with the phrase that names it in error messages
 * ({@code stack 'tcp'}, {@code stack file /etc/grid.xml}, ...).
 */
record StackSource(String description, byte[] content) {

    private static final String SHIPPED_STACK_DIRECTORY = "stacks/";
    private static final String CLASSPATH_PREFIX = "classpath:";

    /**
     * A scheme of at least two characters, so that a Windows path such as {@code C:\grid.xml} is
     * taken for a file and not for a URL with scheme "C".
     */
    private static final Pattern URL_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.\\-]+:.*");

    /** Remote stack files are read at container start: a dead server must fail the start, not hang it. */
    private static final int URL_TIMEOUT_MILLIS = 10_000;

    /**
     * Finds and reads a stack given by shipped name, {@code classpath:} resource, URL or file path,
     * tried in that order so a shipped name always means the shipped stack.
     */
    static StackSource locate(String stack, List<String> shippedStacks) throws StackConfigurationException {
        if (stack == null || stack.isBlank()) {
            throw new StackConfigurationException("no stack given: name one of the shipped stacks ("
                    + String.join(", ", shippedStacks) + "), a file or a URL");
        }
        String trimmed = stack.trim();
        String shipped = trimmed.toLowerCase(Locale.ROOT);
        if (shippedStacks.contains(shipped)) {
            return shipped(shipped);
        }
        if (trimmed.regionMatches(true, 0, CLASSPATH_PREFIX, 0, CLASSPATH_PREFIX.length())) {
            return classpathResource(trimmed);
        }
        URL url = asUrl(trimmed);
        if (url != null) {
            return fromUrl(trimmed, url);
        }
        Path file = asPath(trimmed);
        if (file != null && Files.exists(file)) {
            return fromFile(file);
        }
        throw new StackConfigurationException("stack '" + trimmed + "' is neither a shipped stack ("
                + String.join(", ", shippedStacks) + "), a readable file nor a URL"
                + " (use classpath:path/to/stack.xml for a resource on the class path)");
    }

    private static StackSource shipped(String name) throws StackConfigurationException {
        String description = "stack '" + name + "'";
        try (InputStream in = StackSource.class.getResourceAsStream(SHIPPED_STACK_DIRECTORY + name + ".xml")) {
            if (in == null) {
                // Only a broken or repackaged jar gets here.
                throw new StackConfigurationException(description + " is missing from the SessionGrid jar;"
                        + " check that sessiongrid-jgroups-config is not repackaged without its resources");
            }
            return new StackSource(description, in.readAllBytes());
        } catch (IOException e) {
            throw new StackConfigurationException(description + " could not be read: " + e, e);
        }
    }

    private static StackSource classpathResource(String stack) throws StackConfigurationException {
        String description = "stack resource " + stack;
        String resource = stack.substring(CLASSPATH_PREFIX.length());
        while (resource.startsWith("/")) {
            resource = resource.substring(1);
        }
        // In a servlet container the web application's stack file is visible only to its own
        // loader, which is the context loader while the application starts.
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        URL url = context != null ? context.getResource(resource) : null;
        if (url == null) {
            url = StackSource.class.getClassLoader().getResource(resource);
        }
        if (url == null) {
            throw new StackConfigurationException(description + " was not found on the class path");
        }
        return read(description, url);
    }

    private static URL asUrl(String stack) {
        if (!URL_SCHEME.matcher(stack).matches()) {
            return null;
        }
        try {
            return URI.create(stack).toURL();
        } catch (IllegalArgumentException | MalformedURLException e) {
            // Not a URL Java can open (unknown scheme, bad syntax): it may still be a file name.
            return null;
        }
    }

    private static Path asPath(String stack) {
        try {
            return Path.of(stack);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static StackSource fromUrl(String stack, URL url) throws StackConfigurationException {
        return read("stack URL " + stack, url);
    }

    private static StackSource fromFile(Path file) throws StackConfigurationException {
        Path absolute = file.toAbsolutePath().normalize();
        String description = "stack file " + absolute;
        if (!Files.isRegularFile(absolute) || !Files.isReadable(absolute)) {
            throw new StackConfigurationException(description + " is not a readable file;"
                    + " check the path and the permissions of the user running the container");
        }
        try {
            return new StackSource(description, Files.readAllBytes(absolute));
        } catch (IOException e) {
            throw new StackConfigurationException(description + " could not be read: " + e, e);
        }
    }

    private static StackSource read(String description, URL url) throws StackConfigurationException {
        try {
            URLConnection connection = url.openConnection();
            connection.setConnectTimeout(URL_TIMEOUT_MILLIS);
            connection.setReadTimeout(URL_TIMEOUT_MILLIS);
            // A cached jar: connection keeps the jar file open (and locked on Windows) after a redeploy.
            connection.setUseCaches(false);
            try (InputStream in = connection.getInputStream()) {
                return new StackSource(description, in.readAllBytes());
            }
        } catch (IOException e) {
            throw new StackConfigurationException(description + " could not be read: " + e, e);
        }
    }
}
