# English dates as the registry writes them: "15 December 2023", where Django's
# own English format is "Dec. 15, 2023". Every other English format stays Django's.
DATE_FORMAT = "j F Y"
