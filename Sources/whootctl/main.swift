print("whootctl")
