"""Between visits: the trigger diary, the flare log and the medication tracker."""
