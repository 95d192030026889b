/**
 * The JGroups stacks SessionGrid ships and the loader that resolves a stack by name, file or URL
 * into a channel. A module of its own (rather than an automatic one) so that core's module can
 * require it in every build, including a reactor build that compiles against this module's classes
 * directory. Its name is the one Java derives from the jar's file name, which core required while this
 * module was an automatic one: a build against a jar of either kind resolves it.
 *
 * <p>The loader returns JGroups channels, so a module that requires this one reads JGroups too. JGroups
 * ships no module descriptor: it is the automatic module its manifest names.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module sessiongrid.jgroups.config {
    requires transitive org.jgroups;
    requires java.xml;
    requires org.slf4j;

    exports org.sessiongrid.jgroups;
}
