public enum GaitwayCommandPlaceholder {}
